"""The admin API: onboard a store, hand out and revoke its keys, change its budget, see where the money went."""
