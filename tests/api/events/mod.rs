mod audit;
mod retention;
mod webhook_queues;
mod webhooks;
