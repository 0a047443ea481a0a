-- One database per service: services never read each other's tables.
CREATE DATABASE shop_users;
CREATE DATABASE shop_products;
CREATE DATABASE shop_orders;
CREATE DATABASE shop_faq;
