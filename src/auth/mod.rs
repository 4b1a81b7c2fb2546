//! Who may sign in, and at what cost to the server: password hashing and the
//! bounded pool that checks passwords ([`passwords`]), and the failure limits
//! shared by every instance ([`throttle`]). Used by the sign-in handlers of
//! agents and families; free of web types.

pub mod passwords;
pub mod throttle;
