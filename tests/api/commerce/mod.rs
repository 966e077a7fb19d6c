mod carts;
mod lifecycle;
mod offers;
mod orders;
mod subscriptions;
mod support_contact_reverts;
mod support_contacts;
mod upgrades;
