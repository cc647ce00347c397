//! What a request does to the camera, and the privilege each kind of act
//! needs: the one table the CGI's routes and ONVIF's operations both read
//! (the privilege table of docs/behaviour.md).

use crate::state::accounts::Privilege;

/// A kind of act on the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Reading settings, capabilities, status or a picture; keeping a session.
    Read,
    /// Following events: a pull-point subscription of one's own.
    Subscribe,
    /// Changing a setting: the picture, the encoders, the overlay, motion
    /// detection, the clock, the network.
    Configure,
    /// Moving the head or a lens motor, presets included.
    Move,
    /// Restarting the camera.
    Reboot,
    /// Accounts, the access switches, the upload targets.
    Administer,
    /// Restoring factory settings, accounts included.
    FactoryReset,
    /// Writing firmware.
    Flash,
}

impl Act {
    /// The privilege the act needs.
    pub const fn privilege(self) -> Privilege {
        match self {
            Act::Read | Act::Subscribe => Privilege::User,
            Act::Configure | Act::Move | Act::Reboot => Privilege::Operator,
            Act::Administer | Act::FactoryReset | Act::Flash => Privilege::Administrator,
        }
    }
}
