//! Integration tests across the SCU crates live in `tests/tests/`; this
//! library only gives them a package.
