//! What a command prints: readable text, or one JSON object per line.

use serde_json::Value;

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

    /// Prints it on stdout.
    pub fn print(&self, json: bool) {
        if json {
            println!("{}", self.json);
        } else if !self.text.is_empty() {
            println!("{}", self.text.trim_end());
        }
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
