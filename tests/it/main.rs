//! The integration tests: one binary, a real application per test.

mod harness;
mod process;

mod access;
mod agent_sign_in;
mod browser;
mod builders;
mod campaign_setup;
mod connections;
mod dashboard;
mod data;
mod documents;
mod dossier;
mod durability;
mod family;
mod family_sign_in;
mod forms;
mod import;
mod jobs;
mod layers;
mod letters;
mod mail;
mod messages;
mod no_sql_in_web;
mod offer;
mod privacy;
mod route_access;
mod siecle_return;
mod sign_in_load;
mod slow_requests;
mod sms;
mod team;
mod uploads;
mod valid_html;
mod web_shell;
mod words;
