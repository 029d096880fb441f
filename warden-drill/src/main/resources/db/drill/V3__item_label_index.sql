create index item_label on item (label);
