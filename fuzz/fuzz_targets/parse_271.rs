//! Any bytes into the X12 readers a payer's answer reaches (the tokenizer, the 271 — single and
//! batch — and the 999/TA1 acknowledgment): each must return, never panic or hang. The seeds in
//! `corpus/parse_271` are the fixtures and the real-world 271s (fixtures/realworld/271).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = perdiem::x12::tokenize(data);
    let _ = perdiem::x12::parse_271(data);
    let _ = perdiem::x12::parse_271_batch(data);
    let _ = perdiem::x12::parse_acknowledgment(data);
});
