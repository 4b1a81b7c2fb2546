//! Request handlers, by area and action: `<area>/<resource>.rs` with
//! `show`, `list`, `new`, `create`, `update`, `delete`.

pub mod agent_links;
pub mod agent_schools;
pub mod agent_session;
pub mod family;
pub mod health;
pub mod home;
pub mod outbox;
pub mod pages;
pub mod school;
pub mod webhooks;
