//! The driver on the reference model: the driver suite on every build.
#![cfg(all(feature = "model", feature = "verify"))]

mod common;

use scu_driver::backend::model_scu;
use scu_model::device::suite::test_image;
use scu_model::device::Device;
use scu_model::timing::Lanes;

#[test]
fn driver_suite_on_the_model() {
    for lanes in Lanes::ALL {
        let (mut scu, dev) = model_scu(Device::new(test_image(lanes)));
        common::driver_suite(&mut scu, lanes);
        assert!(
            !dev.lock().busy(),
            "L={}: the suite waits for every command",
            lanes.get()
        );
    }
}
