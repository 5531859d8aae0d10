//! Threshold's runtime: the compiled story (IR), the play state, and the one
//! transition function that says what a story does. No IO.

pub mod ir;
mod machine;
pub mod save;
pub mod session;

pub use machine::{eval, eval_in, get_bit, set_bit, Env, Runner, Sink, State, Stop, DIVERT_LIMIT};
pub use session::MoveCounts;
