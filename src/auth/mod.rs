//! Who may sign in, and at what cost to the server: password hashing and the
//! bounded pool that checks passwords ([`passwords`]), the failure limits
//! shared by every instance ([`throttle`]), the keys that sign cookies and
//! make session tokens ([`keys`]), and sessions ([`sessions`]). Used by the web layer, the CLI and the demo;
//! free of web types (the web layer depends on it, never the reverse).

pub mod keys;
pub mod passwords;
pub mod sessions;
pub mod sign_in_links;
pub mod throttle;
