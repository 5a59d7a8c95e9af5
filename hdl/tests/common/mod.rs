//! Helpers shared by the scu-hdl integration tests.

/// Whether yosys is there to run. A test that needs it skips when it is
/// absent, unless SCU_REQUIRE_TOOLS is set (the README's test command
/// installs yosys and sets it): then it fails.
pub fn yosys_present() -> bool {
    if std::process::Command::new("yosys")
        .arg("-V")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var_os("SCU_REQUIRE_TOOLS").is_none(),
        "yosys is required but missing"
    );
    eprintln!("yosys not installed: skipped");
    false
}
