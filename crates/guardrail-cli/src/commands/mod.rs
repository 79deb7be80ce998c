pub mod audit;
pub mod check;
pub mod doctor;
pub mod exec;
pub mod hook;
pub mod policy;
pub mod proxy;
pub mod record;
