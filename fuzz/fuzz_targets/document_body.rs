//! Outgoing document bodies (D04, D08): any bytes as the JSON body never panic the parser;
//! an accepted body round-trips through its JSON, lays out on the GB/T 9704 grid without a
//! panic, and diffs against itself and against a second body completely (every line of
//! each side appears exactly once, in order).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use yishi_domain::routing::body::{Block, DiffOp, diff, lines, parse_body};
use yishi_render::{FontConfig, FontSet};

fn fonts() -> Option<&'static FontSet> {
    static F: OnceLock<Option<FontSet>> = OnceLock::new();
    F.get_or_init(|| FontSet::load(&FontConfig::default()).ok()).as_ref()
}

fn accepted(bytes: &[u8]) -> Option<Vec<Block>> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    parse_body(&v).ok()
}

fn check_diff(a: &[Block], b: &[Block]) {
    let d = diff(a, b);
    let old: Vec<_> = d.iter().filter(|e| e.op != DiffOp::Insert).map(|e| (&e.kind, &e.text)).collect();
    let new: Vec<_> = d.iter().filter(|e| e.op != DiffOp::Delete).map(|e| (&e.kind, &e.text)).collect();
    let la = lines(a);
    let lb = lines(b);
    assert_eq!(old, la.iter().map(|l| (&l.kind, &l.text)).collect::<Vec<_>>());
    assert_eq!(new, lb.iter().map(|l| (&l.kind, &l.text)).collect::<Vec<_>>());
}

fuzz_target!(|data: &[u8]| {
    // Two bodies separated by a NUL byte (the second is optional).
    let mut parts = data.splitn(2, |b| *b == 0);
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    let Some(a) = accepted(first) else { return };
    let json = serde_json::to_value(&a).expect("an accepted body serialises");
    assert_eq!(parse_body(&json).expect("its own JSON is accepted"), a);
    assert!(diff(&a, &a).iter().all(|e| e.op == DiffOp::Equal));
    if let Some(b) = second.and_then(accepted) {
        check_diff(&a, &b);
    }
    if let Some(f) = fonts() {
        // The render crate's blocks have the same JSON shape (no conversion when stored).
        let blocks: Vec<yishi_render::Block> = serde_json::from_value(json).expect("same JSON shape as the renderer's blocks");
        let _ = yishi_render::layout_body(&blocks, f);
    }
});
