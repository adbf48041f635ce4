use super::clip;

#[test]
fn recorded_request_strings_are_clipped_and_hold_no_control_characters() {
    assert_eq!(clip("agent-x"), "agent-x");
    assert_eq!(clip("a\0"), "a\u{FFFD}");
    assert_eq!(clip("x\u{1b}[2J\r\ny\u{7f}\u{85}"), "x\u{FFFD}[2J\u{FFFD}\u{FFFD}y\u{FFFD}\u{FFFD}");
    // Not a control character: kept.
    assert_eq!(clip("ünïcödé ✓"), "ünïcödé ✓");
    let long = "\0".repeat(1_000);
    assert_eq!(clip(&long), "\u{FFFD}".repeat(256));
}
