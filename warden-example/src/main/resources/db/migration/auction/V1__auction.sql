-- The auction service's schema. Amounts are whole minor units (cents) in bigint: no rounding anywhere.

create table app_user (
    id            bigserial primary key,
    username      text        not null unique,
    password_hash text        not null,
    role          text        not null default 'user' check (role in ('user', 'admin')),
    created_at    timestamptz not null default now()
);

create table listing (
    id               bigserial primary key,
    seller_id        bigint      not null references app_user (id),
    title            text        not null,
    description      text        not null default '',
    status           text        not null default 'pending'
                         check (status in ('pending', 'approved', 'rejected', 'closed')),
    starting_price   bigint      not null check (starting_price > 0),
    min_increment    bigint      not null check (min_increment > 0),
    -- Null until the first accepted bid; then always the highest accepted bid (the invariant).
    current_price    bigint      check (current_price is null or current_price >= starting_price),
    bid_count        integer     not null default 0,
    ends_at          timestamptz not null,
    rejection_reason text,
    winner_id        bigint      references app_user (id),
    closed_at        timestamptz,
    seed_key         text        unique,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
create index listing_status_ends_at on listing (status, ends_at);
create index listing_seller on listing (seller_id);

create table bid (
    id         bigserial primary key,
    listing_id bigint      not null references listing (id),
    bidder_id  bigint      not null references app_user (id),
    amount     bigint      not null check (amount > 0),
    replica    text        not null,
    created_at timestamptz not null default now(),
    -- Every accepted bid is higher than the one before, so no two share an amount.
    unique (listing_id, amount)
);
create index bid_listing_amount on bid (listing_id, amount desc);

create table watch (
    user_id    bigint      not null references app_user (id),
    listing_id bigint      not null references listing (id),
    created_at timestamptz not null default now(),
    primary key (user_id, listing_id)
);

-- Which replica ran the (interim) initialisation of each seed epoch; see AuctionSchema.
create table auction_init (
    epoch          text primary key,
    initialized_by text        not null,
    initialized_at timestamptz not null default now()
);
