mod customers;
mod relationships;
mod service_requests;
