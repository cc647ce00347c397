//! What the camera sends out, each step bounded in time and size: the FTP
//! and SMTP clients snapshots go through, the upload that runs them one at
//! a time in a thread of its own, and the deadline a step runs under.

pub mod deadline;
pub mod ftp;
pub mod post;
pub mod smtp;
pub mod upload;
