//! The builds: one engine source, four lane counts. Each alias fixes the
//! widths that Rust's const generics cannot derive from L (see
//! [`crate::engine::Engine`]).

use crate::engine::Engine;

/// L = 1, the "tiny" build: rows of 1 word, 16 rows an element.
pub type EngineL1 = Engine<1, 16, 40, 1, 16, 20, 9>;
/// L = 2: rows of 2 words.
pub type EngineL2 = Engine<2, 32, 56, 2, 32, 36, 8>;
/// L = 4: rows of 4 words.
pub type EngineL4 = Engine<4, 64, 88, 4, 64, 68, 7>;
/// L = 8, the "fast" build: rows of 8 words, 2 rows an element.
pub type EngineL8 = Engine<8, 128, 152, 8, 128, 132, 6>;
