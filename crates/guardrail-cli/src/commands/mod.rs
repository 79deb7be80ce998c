pub mod audit;
pub mod check;
pub mod policy;
pub mod record;
pub mod exec;
pub mod hook;
