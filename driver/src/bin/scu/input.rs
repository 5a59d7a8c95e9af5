//! Parsing what the user types, with errors that say what is expected.
//! Everything is checked before a device is opened, so bad input never
//! reaches (or changes) a device.

use anyhow::{anyhow, bail, Context, Result};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use scu_driver::evidence::{self, Reference};
use scu_driver::types::PublicKey;
use std::path::Path;

/// Hex (an optional `0x` prefix, no separators) of exactly `N` bytes.
pub fn hex_exact<const N: usize>(what: &str, s: &str) -> Result<[u8; N]> {
    let v = hex_any(what, s)?;
    let n = v.len();
    v.try_into().map_err(|_| {
        anyhow!(
            "{what} must be {N} bytes ({} hex digits); got {n} bytes",
            2 * N
        )
    })
}

/// Hex of any length.
pub fn hex_any(what: &str, s: &str) -> Result<Vec<u8>> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if let Some((i, c)) = t.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        bail!("{what} is not hex: {c:?} at position {}", i + 1);
    }
    if !t.len().is_multiple_of(2) {
        bail!("{what} has an odd number of hex digits ({})", t.len());
    }
    hex::decode(t).map_err(|e| anyhow!("{what} is not hex: {e}"))
}

/// A peer's public key as SEC1: uncompressed (04 || x || y, passed to the
/// SCU as is: the SCU itself validates it) or compressed (02/03 || x,
/// decompressed here, which fails for an x with no point).
pub fn peer_point(s: &str) -> Result<PublicKey> {
    let b = hex_any("--peer", s)?;
    match (b.first(), b.len()) {
        (Some(0x04), 65) => {
            PublicKey::from_xy(&b[1..]).ok_or_else(|| anyhow!("--peer: bad length"))
        }
        (Some(0x02 | 0x03), 33) => {
            let pk = p256::PublicKey::from_sec1_bytes(&b)
                .map_err(|_| anyhow!("--peer: no P-256 point has this x coordinate"))?;
            let ep = pk.to_encoded_point(false);
            PublicKey::from_xy(&ep.as_bytes()[1..]).ok_or_else(|| anyhow!("--peer: bad length"))
        }
        (Some(0x00), 1) => bail!("--peer is the point at infinity, which is not a public key"),
        (Some(0x04), n) | (Some(0x02 | 0x03), n) => {
            bail!("--peer has {n} bytes; SEC1 points have 65 (04 x y) or 33 (02/03 x)")
        }
        _ => bail!("--peer must be a SEC1 point: 65 bytes 04 || x || y, or 33 bytes 02/03 || x"),
    }
}

/// An output file's place, checked before the device is asked (an
/// attestation moves the device's counter: evidence written nowhere would
/// be lost): an existing directory, and not a directory itself.
pub fn output_path(what: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("{what} {} is a directory", path.display());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {what} {}: {} is not a directory",
            path.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Reads a file whole, saying which file failed.
pub fn read_file(what: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// A public key from an SPKI PEM file.
pub fn identity_pem(path: &Path) -> Result<PublicKey> {
    let b = read_file("identity key", path)?;
    let text = String::from_utf8(b).map_err(|_| anyhow!("{} is not a PEM file", path.display()))?;
    evidence::public_key_from_pem(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Reference values from a file.
pub fn reference(path: &Path) -> Result<Reference> {
    let b = read_file("reference values", path)?;
    serde_json::from_slice(&b)
        .map_err(|e| anyhow!("{} is not an SCU reference file: {e}", path.display()))
}

/// The measurement and lanes of an FPGA build, from its report
/// (`fpga/build.py`'s report.json): the SHA-256 of its template bitstream.
pub fn fpga_build(path: &Path) -> Result<([u8; 32], u64)> {
    let b = read_file("FPGA build report", path)?;
    let not = |why: &str| anyhow!("{} is not an SCU FPGA build report: {why}", path.display());
    let v: serde_json::Value = serde_json::from_slice(&b).map_err(|e| not(&e.to_string()))?;
    let m = v["measurement"]
        .as_str()
        .ok_or_else(|| not("no measurement (a build that did not place, or an older report)"))?;
    let lanes = v["lanes"].as_u64().ok_or_else(|| not("no lanes"))?;
    Ok((hex_exact("the report's measurement", m)?, lanes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_errors_say_what_is_wrong() {
        assert_eq!(hex_exact::<2>("--x", "0xA0b1").expect("hex"), [0xa0, 0xb1]);
        let e = hex_exact::<2>("--x", "a0").expect_err("short").to_string();
        assert!(e.contains("must be 2 bytes") && e.contains("got 1"), "{e}");
        let e = hex_exact::<2>("--x", "a0zz")
            .expect_err("not hex")
            .to_string();
        assert!(e.contains("'z' at position 3"), "{e}");
        let e = hex_exact::<2>("--x", "a0b").expect_err("odd").to_string();
        assert!(e.contains("odd"), "{e}");
    }

    #[test]
    fn fpga_build_reports() {
        let dir = tempfile::tempdir().expect("dir");
        let f = dir.path().join("report.json");
        let m = "ab".repeat(32);
        std::fs::write(&f, format!(r#"{{"lanes": 1, "measurement": "{m}"}}"#)).expect("write");
        assert_eq!(fpga_build(&f).expect("report"), ([0xab; 32], 1));
        for (text, why) in [
            (r#"{"lanes": 1, "measurement": null}"#, "no measurement"),
            (r#"{"lanes": 1, "measurement": "abcd"}"#, "must be 32 bytes"),
            (r#"{"measurement": "00"}"#, "no lanes"),
            ("not json", "not an SCU FPGA build report"),
        ] {
            std::fs::write(&f, text).expect("write");
            let e = fpga_build(&f).expect_err(text).to_string();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn peer_points() {
        let g = p256::PublicKey::from_secret_scalar(
            &p256::NonZeroScalar::from_uint(2u32.into()).expect("2 != 0"),
        );
        let u = g.to_encoded_point(false);
        let c = g.to_encoded_point(true);
        let from_u = peer_point(&hex::encode(u.as_bytes())).expect("uncompressed");
        let from_c = peer_point(&hex::encode(c.as_bytes())).expect("compressed");
        assert_eq!(from_u, from_c);
        assert!(peer_point("00")
            .expect_err("identity")
            .to_string()
            .contains("infinity"));
        assert!(peer_point(&hex::encode(&u.as_bytes()[..64]))
            .expect_err("short")
            .to_string()
            .contains("64 bytes"));
        assert!(peer_point("05").is_err());
        // Some small x has no point on the curve (x^3 - 3x + b a non-square).
        let mut bad = [0u8; 33];
        bad[0] = 2;
        let mut found = false;
        for x in 0u8..=255 {
            bad[32] = x;
            if p256::PublicKey::from_sec1_bytes(&bad).is_err() {
                found = true;
                break;
            }
        }
        assert!(found);
        assert!(peer_point(&hex::encode(bad))
            .expect_err("no point")
            .to_string()
            .contains("no P-256 point"));
    }
}
