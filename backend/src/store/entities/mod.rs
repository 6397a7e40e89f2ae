//! sea-orm entities, one file per table. Behaviour lives in the services, not here.
pub mod absences;
pub mod attachments;
pub mod audit_head;
pub mod audit_log;
pub mod calendars;
pub mod casbin_rules;
pub mod counters;
pub mod jobs;
pub mod login_throttle;
pub mod memberships;
pub mod meta;
pub mod sections;
pub mod sessions;
pub mod trail;
pub mod units;
pub mod users;
