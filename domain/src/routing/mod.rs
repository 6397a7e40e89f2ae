//! Online document routing (网上会办, SPEC B): incoming documents (收文) and outgoing
//! documents (发文). Each flow has its own state machine module.
pub mod incoming;
pub mod body;
pub mod outgoing;
