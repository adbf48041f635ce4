//! The storage conformance suite: every test runs against SQLite and against Postgres, so the
//! two backends cannot drift apart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_keys;
mod accounts;
mod audit;
mod authorizers;
mod federation;
mod generations;
mod providers;
mod signing_keys;
mod support;
mod user_grants;
mod vault;
mod workloads;

/// Generates, for each listed `async fn(Harness)`, one test per backend.
macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let harness = crate::support::Harness::sqlite().await;
                    crate::$module::$name(harness).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(harness) = crate::support::Harness::postgres().await {
                        crate::$module::$name(harness).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    accounts::migrations_are_idempotent_and_checked,
    accounts::admin_tokens_resolve_to_their_account,
    accounts::quota_holds_under_concurrent_creates,
    accounts::values_sealed_for_the_cache_open_only_in_their_context,
    workloads::round_trip,
    workloads::duplicates_conflict,
    workloads::missing_is_not_found,
    workloads::pagination_visits_every_item_once,
    workloads::accounts_are_isolated,
    workloads::quota_is_enforced,
    providers::secrets_round_trip_sealed,
    providers::raw_rows_hold_no_plaintext,
    providers::ciphertext_moved_to_another_row_fails,
    providers::update_keeps_or_rotates_secret,
    providers::discovery_outcome_respects_version,
    providers::quotas_are_per_type,
    providers::token_exchange_settings_round_trip,
    authorizers::authorizer_round_trip,
    authorizers::workloads_name_existing_authorizers_and_pin_them,
    authorizers::custom_authorizer_secrets_are_sealed_kept_and_dropped,
    authorizers::custom_authorizer_secrets_follow_data_key_rotation,
    access_keys::lifecycle,
    federation::grants_per_user_and_provider_are_capped,
    federation::grant_versions_fence_refreshes,
    generations::invalidating_changes_raise_the_config_generation,
    generations::deleting_user_grants_removes_only_theirs,
    user_grants::disconnecting_without_grants_raises_the_grant_generation,
    user_grants::deleted_grants_tell_whether_the_provider_is_still_granted,
    user_grants::deleting_a_provider_or_workload_deletes_its_grants,
    user_grants::user_grant_lookups_are_indexed,
    signing_keys::signing_keys_rotate_once_and_stay_sealed,
    audit::mutations_append_exactly_their_events,
    audit::tampering_is_detected,
    audit::listing_is_per_account_filtered_and_paged,
    audit::queued_events_join_the_chain_once_and_tampering_shows,
    vault::rewrap_frees_the_old_master_key,
    vault::data_key_rotation_reencrypts_every_ciphertext,
    vault::rotation_concurrent_with_writes_loses_nothing,
);
