use super::*;

#[test]
fn table_columns_are_aligned_two_spaces_apart() {
    let mut table = Table::new(&["NAME", "TYPE", "VENDOR", "STATUS"]);
    table.row(vec!["SalesforceProvider".into(), "oauth2".into(), "salesforce".into(), "ACTIVE".into()]);
    table.row(vec!["GitHubProvider".into(), "api_key".into(), "github".into(), "ACTIVE".into()]);
    table.row(vec!["CustomAPI".into(), "oauth2".into(), String::new(), "CREATING".into()]);
    assert_eq!(
        table.render(),
        "NAME                TYPE     VENDOR      STATUS\n\
         SalesforceProvider  oauth2   salesforce  ACTIVE\n\
         GitHubProvider      api_key  github      ACTIVE\n\
         CustomAPI           oauth2   -           CREATING\n"
    );
}

#[test]
fn an_empty_table_is_its_header() {
    assert_eq!(Table::new(&["NAME", "TYPE", "ARN"]).render(), "NAME  TYPE  ARN\n");
}

#[test]
fn cells_cannot_carry_terminal_control_characters() {
    let mut table = Table::new(&["NAME"]);
    table.row(vec!["evil\u{1b}[2J\nname".into()]);
    assert_eq!(table.render(), "NAME\nevil [2J name\n");
}

fn sample() -> Record {
    let mut tags = HashMap::new();
    tags.insert("b".to_owned(), "2".to_owned());
    tags.insert("a".to_owned(), "1".to_owned());
    Record::new()
        .text("name", "p")
        .text_if_set("failureReason", "")
        .list("scopes", &["x".to_owned(), "y".to_owned()])
        .list("empty", &[])
        .object("config", Some(Record::new().text("clientId", "c")))
        .object("absent", None)
        .map("tags", &tags)
        .time("createdTime", Some(&prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 }))
}

#[test]
fn a_record_renders_as_key_value_lines() {
    assert_eq!(
        sample().to_lines(),
        "name: p\nscopes: x,y\nempty: -\nconfig.clientId: c\ntags: a=1,b=2\ncreatedTime: 2023-11-14T22:13:20Z\n"
    );
}

#[test]
fn a_record_renders_as_json_in_field_order() {
    let json = sample().to_json().unwrap();
    let keys: Vec<&str> = json.lines().filter_map(|l| l.trim().split('"').nth(1)).collect();
    assert_eq!(keys, ["name", "scopes", "x", "y", "empty", "config", "clientId", "tags", "a", "b", "createdTime"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["config"]["clientId"], "c");
    assert_eq!(value["tags"]["b"], "2");
    assert_eq!(value["createdTime"], "2023-11-14T22:13:20Z");
}

#[test]
fn lists_render_as_a_table_or_a_json_array() {
    let table = Table::new(&["NAME"]);
    let json = render_list(OutputFormat::Json, "things", &table, vec![Record::new().text("name", "a")]).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value, serde_json::json!({"things": [{"name": "a"}]}));
    assert_eq!(render_list(OutputFormat::Table, "things", &table, Vec::new()).unwrap(), "NAME\n");
}

#[test]
fn timestamps_are_rfc3339_and_never_panic() {
    assert_eq!(rfc3339(&prost_types::Timestamp { seconds: 0, nanos: 500_000_000 }), "1970-01-01T00:00:00.500000000Z");
    assert_eq!(rfc3339(&prost_types::Timestamp { seconds: -5, nanos: 0 }), "-5s");
    assert_eq!(rfc3339(&prost_types::Timestamp { seconds: 1, nanos: -1 }), "1s");
}

#[test]
fn integers_are_json_numbers_and_plain_digits_in_lines() {
    let record = Record::new().integer("expiresIn", 3600);
    assert_eq!(record.to_lines(), "expiresIn: 3600\n");
    let value: serde_json::Value = serde_json::from_str(&record.to_json().unwrap()).unwrap();
    assert_eq!(value, serde_json::json!({"expiresIn": 3600}));
}
