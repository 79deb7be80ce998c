pub mod audit;
pub mod check;
pub mod policy;
pub mod record;
