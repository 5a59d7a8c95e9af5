//! What a command prints: readable text, or one JSON object per line.

use serde_json::Value;
use std::io::Write;

/// A command's result in both forms.
pub struct Out {
    /// For people.
    pub text: String,
    /// For programs.
    pub json: Value,
}

impl Out {
    /// A result.
    pub fn new(text: impl Into<String>, json: Value) -> Out {
        Out {
            text: text.into(),
            json,
        }
    }

    /// Prints it on stdout. The command has run (and saved what it
    /// changed) by now, so a stdout closed early (`scu keygen | head -c 8`)
    /// is reported as such, not as a crash.
    pub fn print(&self, json: bool) -> std::io::Result<()> {
        let mut o = std::io::stdout().lock();
        if json {
            writeln!(o, "{}", self.json)?;
        } else if !self.text.is_empty() {
            writeln!(o, "{}", self.text.trim_end())?;
        }
        o.flush()
    }
}

/// Prints an error as one line on stderr.
pub fn error(e: &anyhow::Error, json: bool) {
    // `{:#}` joins the causes with ": " on one line.
    let msg = format!("{e:#}").replace('\n', " ");
    if json {
        eprintln!("{}", serde_json::json!({ "error": msg }));
    } else {
        eprintln!("scu: {msg}");
    }
}

/// Hex of bytes.
pub fn hex(b: impl AsRef<[u8]>) -> String {
    hex::encode(b)
}

/// Cycles as milliseconds at `hz`.
pub fn ms(cycles: u64, hz: u64) -> f64 {
    cycles as f64 * 1e3 / hz as f64
}
