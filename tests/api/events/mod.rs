mod audit;
mod webhooks;
