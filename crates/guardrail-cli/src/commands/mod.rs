pub mod check;
pub mod policy;
