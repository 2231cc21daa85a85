"""DynamoDB plumbing shared by the stores: expression building and the one retrying call."""
