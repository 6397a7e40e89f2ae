//! UnitSettings::merge (PUT /units/{unit}/settings, untrusted JSON): never panics; a
//! refusal leaves the settings as they were; an accepted patch yields settings that
//! validate, and re-applying the same patch changes nothing more (idempotent).
#![no_main]
use libfuzzer_sys::fuzz_target;
use yishi_domain::settings::UnitSettings;

fuzz_target!(|data: &[u8]| {
    let Ok(patch) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let base = UnitSettings::default();
    let before = base.clone();
    match base.merge(&patch) {
        Err(e) => {
            assert_eq!(base, before);
            assert!(!e.message.is_empty());
        }
        Ok(s) => {
            s.validate()
                .unwrap_or_else(|e| panic!("merge accepted {patch} but the result does not validate: {e:?}"));
            let again = s.merge(&patch).unwrap_or_else(|e| panic!("second merge of {patch} refused: {e:?}"));
            assert_eq!(again, s, "merge of {patch} is not idempotent");
            // What is stored round-trips through JSON.
            let text = serde_json::to_string(&s).expect("serialise");
            let back: UnitSettings = serde_json::from_str(&text).expect("deserialise");
            assert_eq!(back, s);
        }
    }
});
