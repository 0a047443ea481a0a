import { serviceConfig } from '../config.js';

export default serviceConfig('faq');
