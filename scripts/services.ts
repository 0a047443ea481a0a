import { faqDatabase } from '../subgraphs/faq/src/database.js';
import { ordersDatabase } from '../subgraphs/orders/src/database.js';
import { productsDatabase } from '../subgraphs/products/src/database.js';
import { usersDatabase } from '../subgraphs/users/src/database.js';

/** Every service's database definition, for the root scripts. */
export const serviceDatabases = [usersDatabase, productsDatabase, ordersDatabase, faqDatabase] as const;
