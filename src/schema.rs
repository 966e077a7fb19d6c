//! Diesel table definitions, mirroring `migrations/` column for column (both dialects share
//! one logical schema). Regenerate rather than edit: `diesel print-schema` against a migrated
//! SQLite file gives the same tables.

diesel::table! {
    partners (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        support_email -> Nullable<Text>,
        support_phone -> Nullable<Text>,
        website -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    customers (id) {
        id -> Text,
        company_name -> Text,
        domain -> Text,
        billing_email -> Text,
        culture -> Text,
        address_line1 -> Text,
        address_line2 -> Nullable<Text>,
        city -> Text,
        state -> Nullable<Text>,
        postal_code -> Text,
        country -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        test_clock_id -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        partner_id -> Nullable<Text>,
        customer_id -> Nullable<Text>,
        user_name -> Text,
        display_name -> Text,
        password_hash -> Text,
        roles -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        credentials_version -> BigInt,
    }
}

diesel::table! {
    applications (id) {
        id -> Text,
        partner_id -> Text,
        display_name -> Text,
        client_id -> Text,
        secret_hash -> Text,
        roles -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    customer_relationships (id) {
        id -> Text,
        partner_id -> Text,
        customer_id -> Text,
        delegated_admin -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    partnerships (id) {
        id -> Text,
        provider_id -> Text,
        reseller_id -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    partnership_invitations (id) {
        id -> Text,
        provider_id -> Text,
        email -> Text,
        message -> Nullable<Text>,
        token_hash -> Text,
        status -> Text,
        expires_at -> Timestamp,
        accepted_by_partner_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        accepted_by_email -> Nullable<Text>,
    }
}

diesel::table! {
    relationship_requests (id) {
        id -> Text,
        partner_id -> Text,
        indirect_provider_id -> Nullable<Text>,
        include_delegated_admin -> Bool,
        token_hash -> Text,
        status -> Text,
        expires_at -> Timestamp,
        customer_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        customer_email -> Nullable<Text>,
        intended_customer_id -> Nullable<Text>,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        product_family -> Text,
        min_quantity -> Integer,
        max_quantity -> Integer,
        unit_price_minor -> BigInt,
        currency -> Text,
        billing_cycles -> Text,
        is_add_on -> Bool,
        prerequisite_offer_ids -> Text,
        upgrade_target_offer_ids -> Text,
        limit_per_customer -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        terms -> Nullable<Text>,
        cancellation_window_hours -> Nullable<Integer>,
    }
}

diesel::table! {
    carts (id) {
        id -> Text,
        customer_id -> Text,
        partner_id -> Text,
        status -> Text,
        line_items -> Text,
        order_id -> Nullable<Text>,
        version -> BigInt,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        customer_id -> Text,
        partner_id -> Text,
        status -> Text,
        line_items -> Text,
        total_minor -> BigInt,
        currency -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        customer_id -> Text,
        offer_id -> Text,
        order_id -> Nullable<Text>,
        quantity -> Integer,
        status -> Text,
        billing_cycle -> Text,
        auto_renew -> Bool,
        friendly_name -> Text,
        billing_partner_id -> Text,
        partner_id_on_record -> Nullable<Text>,
        support_contact_partner_id -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        term_duration -> Text,
        term_start_date -> Timestamp,
        cancellation_allowed_until -> Nullable<Timestamp>,
        refundable -> Text,
        scheduled_next_term -> Nullable<Text>,
        test_clock_id -> Nullable<Text>,
        next_transition -> Nullable<Text>,
        next_transition_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    subscription_transitions (subscription_id, transition, due_at) {
        subscription_id -> Text,
        transition -> Text,
        due_at -> Timestamp,
        applied_at -> Timestamp,
    }
}

diesel::table! {
    test_clocks (id) {
        id -> Text,
        partner_id -> Text,
        name -> Text,
        frozen_time -> Timestamp,
        advance_to -> Nullable<Timestamp>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_requests (id) {
        id -> Text,
        customer_id -> Text,
        partner_id -> Text,
        title -> Text,
        description -> Text,
        severity -> Text,
        status -> Text,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        note_count -> BigInt,
    }
}

diesel::table! {
    service_request_notes (id) {
        id -> Text,
        service_request_id -> Text,
        text -> Text,
        author -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_records (id) {
        id -> Text,
        partner_id -> Nullable<Text>,
        customer_id -> Nullable<Text>,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        operation_type -> Text,
        resource_type -> Text,
        resource_id -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        request_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
        committed_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tenant_domains (domain) {
        domain -> Text,
        tenant_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_throttle (bucket) {
        bucket -> Text,
        tat_ms -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        partner_id -> Text,
        url -> Text,
        description -> Text,
        event_types -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        partner_id -> Text,
        event_type -> Text,
        change_key -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        claim_token -> Nullable<Text>,
        replayed -> Bool,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    security_groups (id) {
        id -> Text,
        partner_id -> Text,
        display_name -> Text,
        description -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    security_group_members (group_id, member_id) {
        group_id -> Text,
        member_id -> Text,
        user_id -> Nullable<Text>,
        application_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    gdap_relationships (id) {
        id -> Text,
        partner_id -> Text,
        customer_id -> Text,
        display_name -> Text,
        duration -> Text,
        duration_days -> Integer,
        auto_extend_duration -> Text,
        roles -> Text,
        status -> Text,
        activated_at -> Nullable<Timestamp>,
        end_at -> Nullable<Timestamp>,
        notified_days -> Nullable<Integer>,
        next_transition_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    gdap_approval_requests (id) {
        id -> Text,
        relationship_id -> Text,
        customer_id -> Text,
        token_hash -> Text,
        status -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    gdap_access_assignments (id) {
        id -> Text,
        relationship_id -> Text,
        partner_id -> Text,
        customer_id -> Text,
        group_id -> Text,
        roles -> Text,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    gdap_grants (assignment_id, role_id) {
        assignment_id -> Text,
        role_id -> Text,
        customer_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        token_hash -> Text,
        user_id -> Text,
        credentials_version -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    price_lists (id) {
        id -> Text,
        partner_id -> Text,
        name -> Text,
        currency -> Text,
        is_default -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    price_list_versions (id) {
        id -> Text,
        price_list_id -> Text,
        effective_from -> Timestamp,
        default_markup_percent -> Text,
        entries -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    price_list_assignments (partner_id, target_id) {
        partner_id -> Text,
        target_id -> Text,
        target_kind -> Text,
        price_list_id -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    billing_line_items (id) {
        id -> Text,
        provider_id -> Text,
        customer_id -> Text,
        reseller_id -> Nullable<Text>,
        subscription_id -> Text,
        offer_id -> Text,
        term_duration -> Text,
        billing_cycle -> Text,
        charge_type -> Text,
        quantity -> Integer,
        charge_start_date -> Date,
        charge_end_date -> Date,
        days -> Integer,
        cycle_days -> Integer,
        billing_period -> Text,
        currency -> Text,
        cost_unit_minor -> BigInt,
        cost_total_minor -> BigInt,
        reseller_unit_minor -> Nullable<BigInt>,
        reseller_total_minor -> Nullable<BigInt>,
        customer_unit_minor -> BigInt,
        customer_total_minor -> BigInt,
        reseller_price_list_id -> Nullable<Text>,
        customer_price_list_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    billing_period_closes (id) {
        id -> Text,
        clock_key -> Text,
        period -> Text,
        closed_at -> Timestamp,
        statement_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    statement_counters (issuer_id) {
        issuer_id -> Text,
        last_number -> BigInt,
    }
}

diesel::table! {
    statements (id) {
        id -> Text,
        close_id -> Text,
        issuer_id -> Text,
        issuer_kind -> Text,
        bill_to_kind -> Text,
        bill_to_id -> Text,
        clock_key -> Text,
        period -> Text,
        currency -> Text,
        number -> Nullable<BigInt>,
        total_minor -> BigInt,
        line_count -> BigInt,
        issued_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::joinable!(customer_relationships -> customers (customer_id));
diesel::joinable!(subscriptions -> customers (customer_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    price_lists,
    price_list_versions,
    price_list_assignments,
    billing_line_items,
    billing_period_closes,
    statement_counters,
    statements,
    subscription_transitions,
    test_clocks,
    partners,
    customers,
    users,
    applications,
    customer_relationships,
    partnerships,
    partnership_invitations,
    relationship_requests,
    offers,
    carts,
    orders,
    subscriptions,
    service_requests,
    service_request_notes,
    audit_records,
    idempotency_keys,
    tenant_domains,
    sign_in_throttle,
    webhooks,
    webhook_events,
    webhook_deliveries,
    webhook_attempts,
    security_groups,
    security_group_members,
    gdap_relationships,
    gdap_approval_requests,
    gdap_access_assignments,
    gdap_grants,
    refresh_tokens,
);
