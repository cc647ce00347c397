//! The camera API's vocabulary, below everything else: query strings, XML
//! documents and faults, value checks, the calendar, and which sites may call.

pub mod calendar;
pub mod digest;
pub mod fields;
pub mod origin;
pub mod query;
pub mod refusal;
pub mod xml;
