//! Any bytes into the 277CA claim acknowledgment reader and the 999 reader (the two answers to
//! an 837): each must return, never panic or hang. The seeds in `corpus/parse_277ca` are the
//! real-world 277CAs and 999s (fixtures/realworld/277ca, fixtures/realworld/999).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(interchange) = perdiem::x12::parse_277ca(data) {
        for claim in interchange.claims() {
            let _ = claim.is_rejected();
        }
    }
    let _ = perdiem::x12::parse_acknowledgment(data);
});
