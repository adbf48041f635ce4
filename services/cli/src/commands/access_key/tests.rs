use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

#[test]
fn workload_names_are_a_comma_list() {
    let IdentityCommand::CreateAccessKey(args) =
        identity(&["create-access-key", "--description", "ci", "--workload-names", "a, b"])
    else {
        panic!("not a create")
    };
    let request = build_create_request(args);
    assert_eq!(request.description, "ci");
    assert_eq!(request.allowed_workload_names, ["a", "b"]);
}

#[test]
fn the_table_shows_all_for_an_unrestricted_key() {
    let keys = [
        AccessKey {
            access_key_id: "AKIAAAAAAAAAAAAAAAAA".into(),
            created_time: Some(prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 }),
            ..Default::default()
        },
        AccessKey {
            access_key_id: "AKIABBBBBBBBBBBBBBBB".into(),
            description: "ci runner".into(),
            allowed_workload_names: vec!["a".into(), "b".into()],
            ..Default::default()
        },
    ];
    assert_eq!(
        access_keys_table(&keys).render(),
        "ACCESS_KEY_ID         WORKLOADS  CREATED               DESCRIPTION\n\
         AKIAAAAAAAAAAAAAAAAA  all        2023-11-14T22:13:20Z  -\n\
         AKIABBBBBBBBBBBBBBBB  a,b        -                     ci runner\n"
    );
}
