mod profiles;
mod relationships;
mod service_requests;
