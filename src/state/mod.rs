//! The camera's state: accounts, sessions, the login lockout, the settings
//! store, and the units the interfaces drive.

pub mod access;
pub mod accounts;
pub mod acts;
pub mod app;
pub mod https;
pub mod lockout;
pub mod nonces;
pub mod secret;
pub mod session;
pub mod store;
pub mod tokens;
