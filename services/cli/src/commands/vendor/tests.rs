use super::*;

#[test]
fn vendors_parse_by_short_agentcore_or_proto_name_in_any_case() {
    for (raw, vendor) in [
        ("salesforce", CredentialProviderVendor::SalesforceOauth2),
        ("SalesforceOauth2", CredentialProviderVendor::SalesforceOauth2),
        ("MICROSOFT", CredentialProviderVendor::MicrosoftOauth2),
        ("auth0oauth2", CredentialProviderVendor::Auth0Oauth2),
        ("CREDENTIAL_PROVIDER_VENDOR_ZENDESK_OAUTH2", CredentialProviderVendor::ZendeskOauth2),
        ("Custom", CredentialProviderVendor::CustomOauth2),
        (" github ", CredentialProviderVendor::GithubOauth2),
    ] {
        assert_eq!(parse_vendor(raw).unwrap(), vendor, "{raw}");
    }
    let err = parse_vendor("myspace").unwrap_err().to_string();
    assert!(err.contains("unknown OAuth2 vendor 'myspace'") && err.contains("salesforce, microsoft"), "{err}");
}

#[test]
fn every_vendor_round_trips_through_its_short_name() {
    for (short, vendor) in VENDORS {
        assert_eq!(vendor_name(vendor.into()), short);
        assert_eq!(parse_vendor(short).unwrap(), vendor);
    }
}

#[test]
fn names_print_short_and_unknown_numbers_survive() {
    assert_eq!(vendor_name(CredentialProviderVendor::LinkedinOauth2.into()), "linkedin");
    assert_eq!(vendor_name(CredentialProviderVendor::Unspecified.into()), "");
    assert_eq!(vendor_name(99), "99");
    assert_eq!(type_name(CredentialProviderType::ApiKey.into()), "api_key");
    assert_eq!(type_name(CredentialProviderType::Oauth2.into()), "oauth2");
    assert_eq!(status_name(CredentialProviderStatus::Failed.into()), "FAILED");
    assert_eq!(status_name(7), "7");
}
