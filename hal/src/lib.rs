//! Device roles of the kaonin reader terminal.
//!
//! One module per role, in the manner of `embedded-hal`: each role has a trait, an
//! error trait with a small `kind()` that returns a `#[non_exhaustive]` `ErrorKind`
//! (so generic code can react to a failure while drivers keep rich errors), and a
//! `boxed` helper that erases the driver type so the daemon can pick devices from its
//! configuration at run time.
//!
//! Real drivers live in the `kaonin-drivers` crate; [`mock`] holds the in-memory
//! devices the flow is tested against. They behave like the hardware: a mock reader
//! powers its card on at connect and off at disconnect, and a card that leaves the
//! reader makes every later exchange fail with [`card::ErrorKind::Removed`].

// `deny`, not `forbid`: the one exception is `secret`'s mlock/munlock of the page
// that holds PIN digits (a system call on memory this crate owns).
#![deny(unsafe_code)]

pub mod camera;
pub mod card;
pub mod display;
pub mod indicator;
pub mod input;
pub mod mock;
pub mod secret;

/// Declares a role's `Error` trait (with `kind()`), implements it for the role's
/// `ErrorKind` (with a short description for each kind) and for boxed errors.
#[macro_export]
#[doc(hidden)]
macro_rules! role_error {
    ($(#[$doc:meta])* ErrorKind { $($kind:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        pub trait Error: core::fmt::Debug + core::fmt::Display + Send + Sync + 'static {
            /// The kind of failure.
            fn kind(&self) -> ErrorKind;
        }

        impl Error for ErrorKind {
            fn kind(&self) -> ErrorKind {
                *self
            }
        }

        impl core::fmt::Display for ErrorKind {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(match self {
                    $(ErrorKind::$kind => $text,)+
                })
            }
        }

        impl Error for Box<dyn Error> {
            fn kind(&self) -> ErrorKind {
                (**self).kind()
            }
        }
    };
}
