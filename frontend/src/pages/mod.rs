//! One module per area; each page is a component taking its route parameters.

pub mod admin;
pub mod auth;
pub mod incoming;
pub mod meetings;
pub mod minutes;
pub mod outgoing;
pub mod oversight;
pub mod proposals;
pub mod tasks;
