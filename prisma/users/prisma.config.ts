import { serviceConfig } from '../config.js';

// This folder's name is the service's.
export default serviceConfig(new URL('.', import.meta.url));
