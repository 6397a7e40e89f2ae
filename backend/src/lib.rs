//! Yishi (议事): 三重一大 collective deliberation and online document routing for
//! Chinese government units. See docs/architecture.md for the picture.
pub mod access;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod cli;
pub mod clock;
pub mod config;
pub mod counters;
pub mod db;
pub mod deliberation;
pub mod demo;
pub mod error;
pub mod events;
pub mod http;
pub mod incoming;
pub mod jobs;
pub mod minutes;
pub mod org;
pub mod outgoing;
pub mod startup;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod trail;
pub mod uploads;
