-- Warden records the initialisation itself now (warden.init_epochs, once per epoch across every
-- replica), so the interim per-service record of V1 goes.
drop table if exists auction_init;
