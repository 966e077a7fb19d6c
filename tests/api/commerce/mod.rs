mod carts;
mod offers;
mod orders;
mod subscriptions;
mod support_contact_reverts;
mod support_contacts;
mod upgrades;
