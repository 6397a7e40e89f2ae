//! Upload content sniffing and file-name sanitising (R44): never panics; the sniffed
//! type is one of the allowed ones and never something a browser renders as a page;
//! sanitised names carry no path, no control characters, are short and non-empty.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yishi::uploads::{sanitize_file_name, sniff};

fuzz_target!(|data: &[u8]| {
    if let Some(t) = sniff(data) {
        assert!(
            !t.contains("html") && !t.contains("svg") && !t.contains("xml+") && !t.contains("javascript"),
            "{t}"
        );
        if t == "text/plain" {
            let text = std::str::from_utf8(data).expect("text/plain must be UTF-8");
            let head: String = text.chars().take(1024).collect::<String>().to_ascii_lowercase();
            assert!(!head.contains("<script") && !head.contains("<html"));
        }
    }
    let name = String::from_utf8_lossy(data);
    let clean = sanitize_file_name(&name);
    assert!(!clean.is_empty());
    assert!(clean.chars().count() <= 120);
    assert!(!clean.contains('/') && !clean.contains('\\'));
    assert!(!clean.chars().any(char::is_control));
    assert!(!clean.starts_with('.'), "{clean:?}");
    assert!(clean != "..");
});
