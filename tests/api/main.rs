//! Black-box tests: camcgi on the mock board, spoken to over HTTP on loopback.

mod attacks;
mod auth;
mod bounds;
mod common;
mod conformance;
mod event_loop;
mod families;
mod firmware;
mod fuzzing;
mod hostile;
mod http;
mod linux_board;
mod notifications;
mod onvif;
mod onvif_soap;
mod persistence;
mod privileges;
mod ptz;
mod second_attack;
mod security;
mod snapshot;
mod soak;
mod system;
mod uploads;
mod users;
mod web;
