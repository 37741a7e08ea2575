//! Any bytes into the 271 reader: it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = perdiem::x12::tokenize(data);
    let _ = perdiem::x12::parse_271(data);
});
