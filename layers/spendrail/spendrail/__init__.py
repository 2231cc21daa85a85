"""spendrail: spend governance for AI customer-support chatbots."""
