//! Any bytes into the 835 remittance reader and the balancing checks a poster runs on what it
//! reads: each must return, never panic or hang. The seeds in `corpus/parse_835` are the
//! real-world 835s (fixtures/realworld/835) and the domain example.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(interchange) = perdiem::x12::parse_835(data) {
        for remittance in &interchange.remittances {
            let _ = remittance.imbalances();
        }
    }
});
